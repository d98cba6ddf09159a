"""The delivery routines' records: plans, chains, likelihood assessments, stocktakes and
their actions, each version kept."""
