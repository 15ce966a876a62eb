"""Monitor a streaming chat completion from any OpenAI-compatible server.

Records one event per call with the time to first token, the token counts the server
reports (``stream_options.include_usage``), the cost from per-token prices, and the answer.
Plain httpx: no ``openai`` package needed.

    MONITORX_URL=http://127.0.0.1:8000 MONITORX_API_KEY=mx_... \\
    OPENAI_BASE_URL=https://api.openai.com/v1 OPENAI_API_KEY=sk-... \\
    python examples/openai_stream.py --model gpt-4o-mini "Why is the sky blue?"

Works the same against vLLM, llama.cpp's server, Ollama (``/v1``) or LiteLLM.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from dataclasses import dataclass

import httpx

import monitorx


@dataclass(frozen=True)
class Prices:
    """US dollars per million tokens."""

    input_per_million: float
    output_per_million: float

    def cost(self, input_tokens: int | None, output_tokens: int | None) -> float | None:
        if input_tokens is None or output_tokens is None:
            return None
        return (input_tokens * self.input_per_million + output_tokens * self.output_per_million) / 1e6


def stream_chat(
    client: httpx.Client,
    llm_model: str,
    messages: list[dict[str, str]],
    *,
    prices: Prices,
    provider: str = "openai",
    app_model: str = "chat-assistant",
    app_version: str = "1",
) -> str:
    """Stream one completion, printing tokens as they come; returns the whole answer."""
    prompt_chars = sum(len(m.get("content", "")) for m in messages)
    with monitorx.trace(
        model=app_model,
        version=app_version,
        features={"messages": len(messages), "prompt_chars": prompt_chars},
        tags={"provider": provider},
    ) as trace:
        parts: list[str] = []
        usage: dict[str, int] | None = None
        request = {
            "model": llm_model,
            "messages": messages,
            "stream": True,
            "stream_options": {"include_usage": True},
        }
        with client.stream("POST", "/chat/completions", json=request) as response:
            response.raise_for_status()
            for line in response.iter_lines():
                if not line.startswith("data:"):
                    continue  # comments, keep-alives, blank separators
                data = line[len("data:") :].strip()
                if data == "[DONE]":
                    break
                chunk = json.loads(data)
                for choice in chunk.get("choices") or []:
                    delta = (choice.get("delta") or {}).get("content")
                    if delta:
                        if not parts:
                            trace.first_token()
                        parts.append(delta)
                        print(delta, end="", flush=True)
                if chunk.get("usage"):
                    usage = chunk["usage"]
        answer = "".join(parts)
        input_tokens = usage.get("prompt_tokens") if usage else None
        output_tokens = usage.get("completion_tokens") if usage else None
        trace.log_llm(
            input_tokens=input_tokens,
            output_tokens=output_tokens,
            cost_usd=prices.cost(input_tokens, output_tokens),
            provider=provider,
            llm_model=llm_model,
        )
        trace.prediction = answer
    print()
    return answer


def main() -> None:
    parser = argparse.ArgumentParser(description="A monitored streaming chat completion")
    parser.add_argument("prompt")
    parser.add_argument("--model", default=os.environ.get("OPENAI_MODEL", "gpt-4o-mini"))
    parser.add_argument("--base-url", default=os.environ.get("OPENAI_BASE_URL", "https://api.openai.com/v1"))
    parser.add_argument("--price-in", type=float, default=0.15, help="USD per 1M input tokens")
    parser.add_argument("--price-out", type=float, default=0.60, help="USD per 1M output tokens")
    parser.add_argument("--provider", default="openai")
    args = parser.parse_args()

    monitorx.init(environment=os.environ.get("MONITORX_ENVIRONMENT", "prod"))  # MONITORX_URL, MONITORX_API_KEY
    headers = {"Authorization": f"Bearer {os.environ.get('OPENAI_API_KEY', '')}"}
    with httpx.Client(base_url=args.base_url, headers=headers, timeout=httpx.Timeout(60.0, connect=10.0)) as client:
        try:
            stream_chat(
                client,
                args.model,
                [{"role": "user", "content": args.prompt}],
                prices=Prices(args.price_in, args.price_out),
                provider=args.provider,
            )
        except httpx.HTTPError as exc:
            print(f"chat request failed: {exc}", file=sys.stderr)
    monitorx.flush(timeout=5)
    print(monitorx.delivery_stats(), file=sys.stderr)


if __name__ == "__main__":
    main()
