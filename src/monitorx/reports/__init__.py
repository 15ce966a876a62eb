"""Reports rendered from monitoring results: self-contained files a person opens or attaches."""

from monitorx.reports.drift_html import render_drift_report

__all__ = ["render_drift_report"]
