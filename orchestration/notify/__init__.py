"""Alerts that reach people: a blocked publish, a failed run and membranes outside their control limits,
by e-mail or webhook, to the recipients of the data folder's config/notifications.csv (night.py)."""
