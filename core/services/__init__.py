"""The service layer: the only way state changes.

Every function is synchronous and typed, takes keyword-only arguments with the session
first, does one unit of work (committing it, with its ``change_log`` row in the same
transaction), returns public models, and raises ``WardenError`` subclasses.
"""
