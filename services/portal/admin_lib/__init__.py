"""Helpers of the administration areas (admin_*.py): backend calls, forms, labels."""
