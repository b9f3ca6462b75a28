"""The contract every lesson's function checker keeps (course_utils.checks): the reference passes
and is handed on, an undone exercise says so in one line and hands over the reference, strict mode
raises, a crashing solution gives one line and no traceback. Each lesson's own file tests the
faults its checkers name."""

import pytest

from course_utils import attacks, augmentation, conv, explain, gan, images, metrics, numpy_nn, transfer, vae
from course_utils.checks import ExerciseFailed
from course_utils.exercises import lesson00 as l0
from course_utils.exercises import lesson01 as l1
from course_utils.exercises import lesson02 as l2
from course_utils.exercises import lesson03 as l3
from course_utils.exercises import lesson04 as l4
from course_utils.exercises import lesson05 as l5
from course_utils.exercises import lesson06 as l6
from course_utils.exercises import lesson07 as l7
from course_utils.exercises import lesson08 as l8
from course_utils.exercises import lesson09 as l9
from course_utils.exercises import lesson10 as l10
from course_utils.exercises import lesson11 as l11
from course_utils.exercises import lesson12 as l12

CHECKERS = [
    (l0.check_to_grayscale, images.to_grayscale),
    (l0.check_frobenius_inner, images.frobenius_inner),
    (l0.check_cosine_similarity, images.cosine_similarity),
    (l0.check_mean_abs_difference, images.mean_abs_difference),
    (l0.check_count_numbers, images.count_numbers),
    (l1.check_perceptron_predict, numpy_nn.perceptron_predict),
    (l1.check_sigmoid, numpy_nn.sigmoid),
    (l1.check_perceptron_update, numpy_nn.perceptron_update),
    (l2.check_softmax, numpy_nn.softmax),
    (l2.check_cross_entropy, numpy_nn.cross_entropy),
    (l2.check_softmax_regression_grad, numpy_nn.softmax_regression_grad),
    (l3.check_relu_backward, numpy_nn.relu_backward),
    (l3.check_mlp_backward, numpy_nn.mlp_backward),
    (l4.check_output_size, conv.conv_output_size),
    (l4.check_dilate_kernel, conv.dilate_kernel),
    (l4.check_receptive_fields, l4._receptive_fields),
    (l4.check_pool_flatten_shapes, conv.pool_flatten_shapes),
    (l5.check_one_vs_rest, metrics.one_vs_rest),
    (l5.check_specificity, metrics.specificity),
    (l5.check_error_rates, metrics.error_rates),
    (l5.check_top_confusions, metrics.top_confusions),
    (l6.check_frozen_base_with_head, transfer.frozen_base_with_head),
    (l6.check_extract_features, transfer.extract_features),
    (l6.check_unfreeze_top, transfer.unfreeze_top),
    (l7.check_rotation_factor, augmentation.rotation_factor),
    (l7.check_shift_image, augmentation.shift_image),
    (l7.check_deck_augmentation, augmentation.deck_augmentation),
    (l8.check_grad_cam_weights, explain.grad_cam_weights),
    (l8.check_grad_cam_combine, explain.grad_cam_combine),
    (l8.check_clip_small_norm, explain.clip_small_norm),
    (l9.check_fgsm_step, attacks.fgsm_step),
    (l9.check_project, attacks.project),
    (l9.check_to_tanh_space, attacks.to_tanh_space),
    (l10.check_linf_projection, l10.linf_projection),   # references from adversarial_training
    (l10.check_pgd_ascent_step, l10.pgd_ascent_step),
    (l10.check_fgsm_rs_step, l10.fgsm_rs_step),
    (l11.check_discriminator_loss, gan.discriminator_loss_numpy),
    (l11.check_nonsaturating_generator_loss, gan.nonsaturating_generator_loss_numpy),
    (l11.check_slerp, gan.slerp),
    (l12.check_reparameterize, vae.reparameterize),
    (l12.check_gaussian_kl, vae.gaussian_kl),
    (l12.check_elbo, vae.elbo),
]
IDS = [check.__name__ for check, _ in CHECKERS]


def _stub(*_args, **_kwargs):
    raise NotImplementedError("exercise")


@pytest.mark.parametrize(("check", "reference"), CHECKERS, ids=IDS)
def test_reference_passes_and_is_used(check, reference, capsys):
    result = check(reference)
    assert result.passed and not result.not_done and result.use is reference
    assert "WRONG" not in capsys.readouterr().out


@pytest.mark.parametrize(("check", "reference"), CHECKERS, ids=IDS)
def test_not_done_says_so_and_hands_over_the_reference(check, reference, capsys):
    result = check(_stub)
    out = capsys.readouterr().out
    assert result.not_done and not result.passed and result.use is reference
    assert "not done yet" in out and "reference" in out and len(out.strip().splitlines()) == 1


@pytest.mark.parametrize(("check", "reference"), CHECKERS, ids=IDS)
def test_strict_mode_raises(check, reference, monkeypatch):
    monkeypatch.setenv("COURSE_CHECKS_STRICT", "1")
    with pytest.raises(ExerciseFailed):
        check(_stub)


@pytest.mark.parametrize(("check", "reference"), CHECKERS, ids=IDS)
def test_a_crashing_solution_gives_one_line_not_a_traceback(check, reference, capsys):
    def crash(*_args):
        raise IndexError("index 3 is out of bounds")
    result = check(crash)
    out = capsys.readouterr().out
    assert not result.passed and "raised IndexError" in out and "Traceback" not in out


def test_every_checker_of_every_lesson_is_listed():
    listed = {check for check, _ in CHECKERS}
    for module in (l0, l1, l2, l3, l4, l5, l6, l7, l8, l9, l10, l11, l12):
        for name in dir(module):
            if name.startswith("check_") and getattr(module, name).__module__ == module.__name__:
                assert getattr(module, name) in listed or name == "check_n_params", f"{module.__name__}.{name}"
