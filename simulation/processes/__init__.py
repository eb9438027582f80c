"""The daily processes, one module each, run by the model in this order every day:

1. levers act (``simulation.levers``)          5. ``deployment``  guardians to places
2. ``publicity``   media + word of mouth, culture 6. ``incidents``   property, order, fraud, disputes, emergencies
3. ``participation`` register, serve, motivation, dropout 7. ``reporting`` channels, police queue, response
4. ``training``    skill gain and decay          8. ``feedback``    satisfaction, trust, evaluation
9. record KPIs (``simulation.metrics``)

Each process is a function ``step(model)`` vectorized over the model's columns; none loops over
agents in Python.  Each can be switched off in ``config.processes``.
"""
