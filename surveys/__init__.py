"""Surveys: satisfaction surveys and awareness quizzes, answered through QR slips or on paper."""
