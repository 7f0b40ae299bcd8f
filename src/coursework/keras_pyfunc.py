"""The served form of a Pipeline ending in a Keras estimator, logged as code (MLflow's "models from code").

MLflow executes this file by path when it logs or loads a Keras task's model; nothing imports it by
name. No pickle is involved: the preprocessing is a skops file whose types are checked against the
allow-list, the network a `.keras` file loaded with safe_mode, and this code is one of the model's
files, so its sha256 is checked with the others before `coursework predict` loads it.
"""

import mlflow


class KerasPipelineModel(mlflow.pyfunc.PythonModel):
    """preprocessing (skops) -> `.keras` network (safe_mode) -> labels, values or reconstruction errors."""

    def load_context(self, context) -> None:
        from coursework import artifacts, deep

        pipeline = artifacts.load_skops(context.artifacts["preprocessing"])
        self.model = deep.attach_network(pipeline, context.artifacts["network"])

    def predict(self, context, model_input, params=None):
        from coursework import deep

        return deep.serve(self.model, model_input)


mlflow.models.set_model(KerasPipelineModel())
