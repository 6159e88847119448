"""What the tests share; nothing here is collected as a test.

- reference_funnel.py, reference_people.py: the contract implemented independently in plain Python.
- headless_chromium.py: open a page in headless Chromium (also a script: `make screenshot`).
"""
