"""Images as rows of flattened pixel columns px0.. (row-major, channels last) and a `label`.

Shared by the image tasks (mnist_dense, mnist_lenet, fashion_autoencoder, cifar10_cnn). Checking every
pixel column costs ~15 s per 784 columns on a loaded 2-core machine, so the value range is checked on
every `stride`-th column; the column count catches a missing or extra column.
"""

from pipelines._shared.gx import gxe

DIGITS = list(range(10))


def pixel_columns(n_pixels: int) -> tuple[str, ...]:
    return tuple(f"px{i}" for i in range(n_pixels))


def pixel_expectations(n_pixels: int, labels: list, *, centre: str, centre_mean: tuple[float, float],
                       min_rows: int = 500, stride: int = 8) -> list:
    pixels = pixel_columns(n_pixels)
    return [
        gxe.ExpectTableColumnCountToEqual(value=n_pixels + 1),  # every pixel and the label, nothing else
        *[gxe.ExpectColumnToExist(column=c) for c in (pixels[0], pixels[-1], "label")],  # the image is not cut short
        gxe.ExpectColumnValuesToNotBeNull(column="label"),  # every image labelled
        gxe.ExpectColumnValuesToBeInSet(column="label", value_set=labels),  # the known classes only
        gxe.ExpectColumnDistinctValuesToEqualSet(column="label", value_set=labels),  # every class present
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=255) for c in pixels[::stride]],  # 8-bit pixels, no gaps
        gxe.ExpectColumnMeanToBeBetween(column=centre, min_value=centre_mean[0], max_value=centre_mean[1]),  # images neither blank nor scrambled
        gxe.ExpectTableRowCountToBeBetween(min_value=min_rows, max_value=200_000),  # enough images to hold out a test split
    ]


def digit_expectations() -> list:
    # px406 is row 14, column 14: centred digits put ink there (mean 129 in the 5k subset)
    return pixel_expectations(784, DIGITS, centre="px406", centre_mean=(40, 220))
