"""The HTTP API's bodies (v1), one module per resource; the OpenAPI document is built from them.

- `parsing`: reading a request body (media type, size, UTF-8, JSON, model) into one of
  them, every way it can be wrong ending as an `ApiError`; the routes read bodies and
  validate query parameters through it.
- `base`: `Body`, the base of every request body (unknown fields refused).
- `auth`, `users`, `uploads`, `scans`, `errors`: the request and response models of each
  resource. A new resource adds its module here, named as its routes module.
"""
