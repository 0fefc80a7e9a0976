"""The patient board: a patient's lab and vital trends, medications, problems and visits on one page."""
