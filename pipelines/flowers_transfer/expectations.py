"""tf_flowers as a table of image files: one row per image, its path and its class folder's name."""

from pipelines._shared.gx import gxe

CLASSES = ["daisy", "dandelion", "roses", "sunflowers", "tulips"]


def expectations() -> list:
    return [
        *[gxe.ExpectColumnToExist(column=c) for c in ("path", "label")],  # schema: a file and its class
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in ("path", "label")],  # every image labelled
        gxe.ExpectColumnValuesToBeUnique(column="path"),  # each file once: no leak between the splits
        gxe.ExpectColumnValuesToMatchRegex(column="path", regex=r"(?i)\.(jpe?g|png|bmp|gif)$"),  # image files only
        gxe.ExpectColumnValuesToBeInSet(column="label", value_set=CLASSES),  # tf_flowers' five class folders
        gxe.ExpectColumnDistinctValuesToEqualSet(column="label", value_set=CLASSES),  # every class present
        gxe.ExpectTableRowCountToBeBetween(min_value=50, max_value=1_000_000),  # enough images to hold out a test split
    ]
