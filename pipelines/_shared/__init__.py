"""Suites shared by several tasks (iris, pixels): not a task; every DVC stage lists this folder in its deps."""
