"""Pages that combine several apps. Each app keeps its own pages and
partials; these views compose them and call each app's services."""
