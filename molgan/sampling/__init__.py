"""Sampling: noise -> graphs -> molecules, streaming on all cores, and the ``Model`` that users load."""
