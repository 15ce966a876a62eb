"""The two-line setup, end to end: a decorated model, a traced block, a late label.

MONITORX_URL=http://127.0.0.1:8000 MONITORX_API_KEY=mx_... python examples/quickstart.py
"""

from __future__ import annotations

import random
import time

import monitorx


@monitorx.monitor(model="fraud", version="3")
def predict(features: dict[str, float | str]) -> float:
    time.sleep(random.uniform(0.002, 0.02))  # stands in for the model
    if features["amount"] == 0:
        raise ValueError("empty transaction")
    return min(1.0, float(features["amount"]) / 1000)


def main() -> None:
    monitorx.init(environment="dev")  # reads MONITORX_URL and MONITORX_API_KEY
    for _ in range(200):
        features = {
            "amount": round(random.expovariate(1 / 200), 2),
            "country": random.choice(["DE", "FR", "US"]),
        }
        try:
            score = predict(features)
        except ValueError:
            continue
        prediction_id = monitorx.last_prediction_id()
        if prediction_id is not None and random.random() < 0.5:  # the truth arrives later, for some
            monitorx.log_actual(prediction_id, int(score > 0.5))

    with monitorx.trace(model="chat", version="2") as t:
        time.sleep(0.05)
        t.log_llm(input_tokens=812, output_tokens=120, ttft_ms=230, cost_usd=0.003)

    monitorx.flush(timeout=10)
    print(monitorx.delivery_stats())


if __name__ == "__main__":
    main()
