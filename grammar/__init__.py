"""The EQL/EDN grammar, shipped as package data (`eql.lark`)."""
