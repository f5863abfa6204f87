"""The shared vocabulary under every layer: settings, articles, text, published layout."""
