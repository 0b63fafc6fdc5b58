"""Evaluation: metrics, FCD statistics, screening and pictures."""
