"""Wire behaviour of the SDKs the reference talks through, written once.

Each module's docstring names the SDK file it mirrors. Arrows go one way: provider handlers use
these modules; these modules use ``transport``; nothing here knows a provider.
"""
