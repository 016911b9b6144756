"""Election forms live beside each area's views (forms_setup.py, forms_casting.py, ...)."""
