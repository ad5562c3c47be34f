"""JavaScript runtime semantics the port needs (JSON.stringify/parse with V8's messages, JS
error classes, WHATWG URL, Node net error reasons, zod): the bottom layer, used by transforms,
utils and the SDK layer alike; it imports nothing else of ``providers``."""
