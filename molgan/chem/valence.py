"""The valence table: the largest valence RDKit allows an element, a formal charge taken into account.

A charged atom is treated like its isoelectronic neighbour (``N+`` like C, ``O-`` like F, ``C-`` like N).
The training loss's valence penalty and the decoder's valence correction both read it.
"""

from __future__ import annotations

from rdkit import Chem

_LAST_ELEMENT = 118


def isoelectronic_number(atomic_number: int, charge: int) -> int:
    """The atomic number whose neutral atom has the electrons of this charged one."""
    return atomic_number - charge


def max_valence(atomic_number: int, charge: int = 0) -> int | None:
    """Largest non-negative valence in RDKit's list for the (isoelectronic) element, ``0`` for no element.

    ``None`` when the list holds no non-negative entry or the number is past the periodic table.
    """
    z = isoelectronic_number(atomic_number, charge)
    if z <= 0:
        return 0
    if z > _LAST_ELEMENT:
        return None
    allowed = [v for v in Chem.GetPeriodicTable().GetValenceList(z) if v >= 0]
    return max(allowed) if allowed else None


def has_valence_limit(atomic_number: int, charge: int = 0) -> bool:
    """False where RDKit lets the (isoelectronic) element take any valence (its list holds ``-1``)."""
    z = isoelectronic_number(atomic_number, charge)
    if z <= 0:
        return True
    if z > _LAST_ELEMENT:
        return False
    return all(v >= 0 for v in Chem.GetPeriodicTable().GetValenceList(z))
