"""Keeps Facebook customer-list Custom Audiences equal to customer segments."""
