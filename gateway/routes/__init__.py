"""The API's routes, one module per resource, each a table of module-level endpoints.

A routes module holds plain `async def endpoint(request)` functions and one
`OPERATIONS` tuple of `gateway.routing.Operation` rows (method, path, endpoint, and what
the OpenAPI document says of it). An endpoint finds what it needs through
`Gateway.of(request)` (`request.app.state.gateway`, set by `gateway.app.build`): the
dependencies (`.deps`), the limits (`.limits`), the caller (`await gw.user(request)`)
and the bus (`await gw.ask(query, Answer, user_id=...)`). Its request and response
models live in `gateway.bodies.<resource>`; bodies are read with
`gateway.bodies.parsing`.

A new resource is one module shaped like `characters.py`, its bodies module, and one
line in `gateway.app.OPERATIONS`; the routes, the 405 `Allow` header and the OpenAPI
document all follow from that table.
"""
