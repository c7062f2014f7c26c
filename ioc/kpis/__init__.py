"""The operations centre's KPIs per unit and period: figures, time series and CSV, computed in SQL."""
