"""Security headers on every response, errors and 404s included (the `secure` library)."""

from secure import (
    ContentSecurityPolicy,
    ReferrerPolicy,
    Secure,
    StrictTransportSecurity,
    XContentTypeOptions,
    XFrameOptions,
)


def security_headers(*, hsts_max_age_seconds: int) -> Secure:
    """The headers for a JSON API: no sniffing, no referrer, never framed; HSTS when set.

    HSTS is sent only when `hsts_max_age_seconds` is positive: browsers remember it, so it
    belongs to deployments served over TLS only.
    """
    return Secure(
        xcto=XContentTypeOptions(),
        referrer=ReferrerPolicy().no_referrer(),
        xfo=XFrameOptions().deny(),
        # The modern form of frame protection; the interactive docs at /docs still load.
        csp=ContentSecurityPolicy().frame_ancestors("'none'"),
        hsts=(
            StrictTransportSecurity().max_age(hsts_max_age_seconds)
            if hsts_max_age_seconds > 0
            else None
        ),
    )
