"""Diagnostic contracts: a ping any AMQP client can send to prove the bus works."""
