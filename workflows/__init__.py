"""Tributary orchestration: the pipeline DAG, its rendering for Argo, and the local runner."""
