"""Staff endpoints: curation queries, freezing, annotation."""

urlpatterns: list = []
