"""The data system's chores: loading the model, approving a unit's period, the providers'
templates and exports."""
