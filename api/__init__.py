"""The project's API plumbing, below every app that serves an API.

`ApiView` (the base view), the orjson parsers and renderer, the error envelope and the handlers
that render it (DRF's and Django's), query helpers, OpenAPI helpers and the documentation pages.
It imports nothing of the project but `nn_core`: apps depend down on it, never the other way.
"""
