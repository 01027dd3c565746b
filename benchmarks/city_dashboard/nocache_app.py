"""The app with the dashboard's render cache off: every view sorts, pages and renders the
table from the summary (what a view with new filters, or the first after a refresh, costs)."""

from participation import create_app

app = create_app()
app.config["SHARE_DASHBOARD_CACHE"] = False
