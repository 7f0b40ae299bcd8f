"""The Streamlit web app `coursework app` runs: every task's champion, its evidence, and predictions from it.

It reads only the MLflow registry and store (through coursework.tracking_serving and the registry
modules) and never trains; `main.py` is the script Streamlit runs.
"""
