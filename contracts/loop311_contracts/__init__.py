"""Loop311's public event contracts: what integrators and the services depend on.

Every event type with its version, marshmallow schema, exchange and upcasters
(`catalog`), the data schemas (`schemas`) and the CloudEvents 1.0 envelope (`envelope`).
This package needs only marshmallow: an integrator can install it without nameko.
"""
