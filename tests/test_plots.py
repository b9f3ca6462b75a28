import matplotlib.pyplot as plt
import numpy as np
import pytest

from course_utils import plots


def test_image_grid_titles_and_errors():
    fig = plots.image_grid(np.zeros((7, 28, 28)), titles=[str(i) for i in range(7)], ncols=4)
    titled = [ax.get_title() for ax in fig.axes if ax.get_title()]
    assert titled == [str(i) for i in range(7)] and len(fig.axes) == 8
    with pytest.raises(ValueError, match="7 images but 2 titles"):
        plots.image_grid(np.zeros((7, 4, 4)), titles=["a", "b"])
    plt.close("all")


def test_topk_bar_puts_best_on_top():
    ax = plots.topk_bar([("n1", "espresso", 0.9), ("n2", "cup", 0.05)], title="coffee")
    labels = [t.get_text() for t in ax.get_yticklabels()]
    assert labels == ["cup", "espresso"] and ax.get_title() == "coffee"
    plt.close("all")


def test_training_curves_plot_train_and_validation():
    fig = plots.training_curves({"loss": [1, 0.5], "val_loss": [1.1, 0.7], "accuracy": [0.5, 0.8]})
    assert len(fig.axes) == 2 and len(fig.axes[0].lines) == 2
    plotted = sorted(tuple(line.get_ydata()) for ax in fig.axes for line in ax.lines)
    assert plotted == [(0.5, 0.8), (1, 0.5), (1.1, 0.7)]
    with pytest.raises(ValueError, match="none of the metrics"):
        plots.training_curves({"auc": [0.5]})
    plt.close("all")


def test_pixel_values_writes_every_value():
    patch = np.arange(12, dtype=np.uint8).reshape(3, 4) * 20
    ax = plots.pixel_values(patch)
    assert sorted(int(t.get_text()) for t in ax.texts) == sorted(patch.ravel().tolist())
    with pytest.raises(ValueError, match="small 2-D patch"):
        plots.pixel_values(np.zeros((100, 100)))
    plt.close("all")


def test_figure_png_returns_png_bytes_and_closes_the_figure():
    import matplotlib.pyplot as plt

    from course_utils.plots import figure_png

    fig, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    before = len(plt.get_fignums())
    data = figure_png(fig, tight=True)
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and len(plt.get_fignums()) == before - 1
