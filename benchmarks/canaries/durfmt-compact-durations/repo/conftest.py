# Root conftest: lets `python3 -m pytest` import the package from the repository root.
