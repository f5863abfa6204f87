"""WebSub (W3C Recommendation): telling hubs of a change, and a built-in hub."""
