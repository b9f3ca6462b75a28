"""Helpers for the deep learning for computer vision course.

Each module has one job. Foundations, importing nothing from the course: ``config`` (mode,
budgets, seeds, the presenter switch) and ``paths`` (caches, shipped files, SHA-256). On top of
them: ``manifest`` (shipped weight files and their measured numbers), ``data`` (datasets and
photos), ``pretrained`` (the offline ImageNet model), ``torch_weights`` (safe .pth reader),
``models`` (the lessons' shared models), ``images``, ``numpy_nn`` and ``conv`` (the NumPy
references lessons 00-04 derive), ``metrics`` (confusion-matrix rates, lesson 05), ``explain`` (saliency, Grad-CAM,
lesson 08), ``attacks`` (FGSM, PGD, C&W, lessons 09-10),
``applications`` (the Keras Applications table and CPU latency, lesson 06), ``transfer`` (frozen
ImageNet base, cached features, fine-tuning with BatchNorm frozen, lesson 06), ``augmentation`` (the
deck's augmentation in Keras 3 layers, affine matrices against SciPy, lesson 07),
``adversarial_training`` (attacks inside ``train_step``, lesson 10), ``gan`` (DCGAN and its losses,
lesson 11), ``vae`` (reparameterisation, ELBO, lesson 12), ``generative_metrics`` (Fréchet
distance in the lesson 05 CNN's features, class coverage, lessons 11-12), ``plots (figures), ``progress``
(compact progress bars), ``speed`` (the reference unit of time), ``report`` (headline numbers
for ``make bench``), ``environment`` (the environment report, Colab), ``checks`` (exercise
checking), ``exercises`` (one checker module per lesson) and ``widgets`` (one module per demo).

Usage: ``from course_utils.config import budget``.
"""

__version__ = "0.1.0"
