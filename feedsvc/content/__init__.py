"""Article HTML as readers get it: parsed as a browser parses it, media made plain,
sanitised, summarised. Layered between the vocabulary (core) and the stores."""
