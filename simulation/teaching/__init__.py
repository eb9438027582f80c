"""The teaching page and everything it needs, in one place.

* :mod:`.controls` — the page's controls and how they become a model config (no browser needed);
* :mod:`.app` — the page itself (Solara components over the classroom village);
* :mod:`.i18n` — message catalogues (English and Chinese) for every text the page shows;
* :mod:`.server` — ``safetysim app``: serve the page with Solara;
* :mod:`.offline_assets` — fill Solara's local asset cache from the npm registry, so the page
  renders without internet access.

The model (:mod:`simulation`) never imports this package.
"""
