"""The one exception the sandbox raises for its users: something that cannot go ahead, and what to do."""


class SandboxError(Exception):
    """A sandbox operation that cannot go ahead; str() says why and what to do about it."""
