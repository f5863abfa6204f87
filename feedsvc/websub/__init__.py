"""WebSub (W3C Recommendation): hubs and subscribers told of a change (the endpoint: web/hub.py)."""
