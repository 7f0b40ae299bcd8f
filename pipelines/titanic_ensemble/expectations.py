"""The Titanic suite: a batch must carry the passenger columns, plausible values and nothing that leaks survival."""

TARGET = "survived"
# the raw columns the model takes; TitanicFeatures derives everything else from them. ticket is not one:
# no feature uses it, and an all-digit ticket column (a small CSV) reads as int64, which the logged
# model's signature (ticket: string) would then refuse at predict time.
RAW_INPUTS = ("pclass", "name", "sex", "age", "sibsp", "parch", "fare", "cabin", "embarked")
# every column a batch may have: a row id, the inputs, ticket and the label. Kaggle's train.csv has exactly
# these (PassengerId is aliased), and the default loader adds a row id so both sources meet one exact set.
ALLOWED_COLUMNS = ("passenger_id", TARGET, *RAW_INPUTS, "ticket")
# Kaggle's train.csv headers, mapped to the names used here
TITANIC_ALIASES = {
    "PassengerId": "passenger_id", "Survived": "survived", "Pclass": "pclass", "Name": "name", "Sex": "sex",
    "Age": "age", "SibSp": "sibsp", "Parch": "parch", "Ticket": "ticket", "Fare": "fare", "Cabin": "cabin",
    "Embarked": "embarked",
}
COUNTS = ("pclass", "survived", "sibsp", "parch")
TEXT = ("name", "sex")


def titanic_expectations() -> list:
    import great_expectations.expectations as gxe  # here, not at the top: GX takes seconds to import

    return [
        gxe.ExpectTableColumnsToMatchSet(column_set=list(ALLOWED_COLUMNS), exact_match=True),  # data leaks: boat, body, home.dest are recorded after the sinking
        *[gxe.ExpectColumnToExist(column=c) for c in ("passenger_id", TARGET, *RAW_INPUTS)],  # schema: the row id, every model input and the label
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["int64"]) for c in COUNTS],  # classes and counts are whole numbers
        *[gxe.ExpectColumnValuesToBeInTypeList(column=c, type_list=["int64", "float64"]) for c in ("age", "fare")],  # numbers, not '?' strings
        *[gxe.ExpectColumnValuesToBeOfType(column=c, type_="str") for c in TEXT],  # text (GX's type list misreads pandas 3's str dtype)
        *[gxe.ExpectColumnValuesToNotBeNull(column=c) for c in (TARGET, "pclass", "name", "sex", "sibsp", "parch")],  # no imputation for these
        gxe.ExpectColumnValuesToBeInSet(column=TARGET, value_set=[0, 1]),  # binary label: 1 survived
        gxe.ExpectColumnValuesToBeInSet(column="pclass", value_set=[1, 2, 3]),  # the three ticket classes
        gxe.ExpectColumnValuesToBeInSet(column="sex", value_set=["male", "female"]),  # the two values the manifest records
        gxe.ExpectColumnValuesToBeBetween(column="age", min_value=0, max_value=100),  # years; infants are fractions, nulls are imputed
        gxe.ExpectColumnValuesToNotBeNull(column="age", mostly=0.6),  # ~80% known in both sources; less and imputation dominates
        gxe.ExpectColumnValuesToBeBetween(column="fare", min_value=0),  # a price; 0 is real (crew, guests), nulls are imputed
        *[gxe.ExpectColumnValuesToBeBetween(column=c, min_value=0, max_value=20) for c in ("sibsp", "parch")],  # relatives aboard
        gxe.ExpectColumnValuesToBeInSet(column="embarked", value_set=["C", "Q", "S"]),  # Cherbourg, Queenstown, Southampton; nulls filled
        gxe.ExpectColumnValuesToBeUnique(column="passenger_id"),  # one row per passenger, so no one sits in both splits
        gxe.ExpectTableRowCountToBeBetween(min_value=200, max_value=100_000),  # enough rows for a stratified split and 5-fold CV
    ]
