"""The documents a delivery unit sends: the stocktake pack, the monthly note, the delivery
report and the public progress site."""
