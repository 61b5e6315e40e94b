"""Diagnostics: alignment metrics, certificates, the descent direction and the Hessian (DESIGN §1.5–1.7).

Every function here is pure (arrays in, typed records out); figures live in
`featlearn.report.diagnostic_plots`.
"""

from featlearn.diagnostics.alignment import Alignment, alignment, effective_neurons, subspace_fraction
from featlearn.diagnostics.certificate import (
    CertificateSup,
    certificate_sup,
    certificate_support_gap,
    empirical_certificate,
)
from featlearn.diagnostics.descent import (
    DescentCheck,
    DescentFraction,
    check_probes,
    descent_direction,
    descent_fraction,
    descent_target,
    local_probes,
)
from featlearn.diagnostics.dual_certificate import AwayMax, Decay, DualCertificate, dual_certificate
from featlearn.diagnostics.features import FeatureKernel, feature_kernel
from featlearn.diagnostics.hessian import HessianSpectrum, hessian_matrix, hessian_spectrum
from featlearn.diagnostics.record import Diagnostics, diagnose
from featlearn.diagnostics.sphere import GreatCircle, SphereMap, great_circles, sphere_map

__all__ = [
    "Alignment",
    "AwayMax",
    "CertificateSup",
    "Decay",
    "Diagnostics",
    "DescentCheck",
    "DescentFraction",
    "DualCertificate",
    "FeatureKernel",
    "GreatCircle",
    "HessianSpectrum",
    "SphereMap",
    "alignment",
    "certificate_sup",
    "certificate_support_gap",
    "check_probes",
    "descent_direction",
    "descent_fraction",
    "descent_target",
    "diagnose",
    "dual_certificate",
    "effective_neurons",
    "empirical_certificate",
    "feature_kernel",
    "great_circles",
    "hessian_matrix",
    "hessian_spectrum",
    "local_probes",
    "sphere_map",
    "subspace_fraction",
]
