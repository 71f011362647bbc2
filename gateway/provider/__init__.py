"""The OneRoster provider API: vendors read (and write grades to) a district's data."""
