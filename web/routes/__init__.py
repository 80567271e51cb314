"""The dashboard's routes: the JSON API over runs and agents, and the HTML pages that use it."""
