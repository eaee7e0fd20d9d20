"""What operators watch the system by: logs (logs.py) and in-process metrics (metrics.py).

Outside the layers of DESIGN.md on purpose: every layer may use it, and it imports nothing of
madoguchi (only the standard library, prometheus-client and python-json-logger).
"""
