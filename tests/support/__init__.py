"""What the tests share; nothing here is collected as a test.

- membrana.py: run `membrana`, dbt or a Python script in a subprocess, as a user would.
- marts.py: read what a run published (marts, warehouse tables, the run report) and compare builds.
- shared_demo.py: the generated company built once per session and handed to the modules that need it.
- reference_funnel.py, reference_people.py: the contract implemented independently in plain Python.
- headless_chromium.py: open a page in headless Chromium (also a script: `make screenshot`).
"""
