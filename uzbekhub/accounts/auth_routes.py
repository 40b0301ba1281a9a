"""Authentication: sign-up, verification, sign-in, Google, password reset, tokens."""

from uzbekhub.accounts import auth_services, tokens
from uzbekhub.accounts.schemas import (
    EmailVerifySchema,
    ForgotPasswordSchema,
    GoogleSigninSchema,
    RefreshSchema,
    ResetPasswordSchema,
    SigninResultSchema,
    SigninSchema,
    SignupResultSchema,
    SignupSchema,
    TokenPairSchema,
)
from uzbekhub.common.ratelimit import throttle
from uzbekhub.common.schemas import MessageSchema
from uzbekhub.common.smorest import Blueprint

blp = Blueprint(
    "auth", __name__, url_prefix="/api/accounts/auth", description="Sign-up, sign-in and tokens"
)
bad_token = blp.answers(401, description="A bad or revoked token")


@blp.route("/signup/", methods=["POST"])
@throttle("signup")
@blp.arguments(SignupSchema)
@blp.response(201, SignupResultSchema)
def signup(data):
    """Sign up: create an unverified account and mail a 5-digit code"""
    user = auth_services.signup(data["email"], data["password"])
    return {"status": True, "user": user.email}


@blp.route("/email-verify/", methods=["POST"])
@throttle("email_verify")
@blp.arguments(EmailVerifySchema)
@blp.response(200, MessageSchema)
def email_verify(data):
    """Verify the email with the mailed code and activate the account"""
    auth_services.verify_email(data["code"], data.get("email"))
    return {"message": "User is successfully activated"}


@blp.route("/signin/", methods=["POST"])
@throttle("signin")
@blp.arguments(SigninSchema)
@blp.response(200, SigninResultSchema)
@blp.answers(403, description="The email is not verified yet")
def signin(data):
    """Sign in with email and password

    Wrong passwords are counted per account: from the client's address (429 after
    THROTTLE_SIGNIN_ACCOUNT of them) and from all addresses (THROTTLE_SIGNIN_ACCOUNT_ALL).
    """
    user, pair = auth_services.signin(data["email"], data["password"])
    return {"status": True, "email": user.email, "token": pair}


@blp.route("/oauth2/google/", methods=["POST"])
@throttle("signin")
@blp.arguments(GoogleSigninSchema)
@blp.response(200, TokenPairSchema)
@bad_token
@blp.answers(503, description="Google sign-in is not configured, or Google's keys are out of reach")
def google_signin(data):
    """Sign in with a Google ID token"""
    return auth_services.google_signin(data["token"])


@blp.route("/forgot-password/", methods=["POST"])
@throttle("forget_password")
@blp.arguments(ForgotPasswordSchema)
@blp.response(200, MessageSchema)
def forgot_password(data):
    """Mail a password-reset link (the answer is the same for unknown emails)"""
    auth_services.forgot_password(data["email"])
    return {"message": "Password reset link has been sent to your email"}


@blp.route("/reset-password/<string:reset_link>/", methods=["POST"])
@throttle("new_password")
@blp.arguments(ResetPasswordSchema)
@blp.response(200, MessageSchema)
def reset_password(data, reset_link):
    """Set a new password with the token from the reset link"""
    auth_services.reset_password(reset_link, data["new_password"])
    return {"message": "Your password has been successfully updated"}


@blp.route("/token/refresh/", methods=["POST"])
@blp.arguments(RefreshSchema)
@blp.response(200, TokenPairSchema)
@bad_token
def refresh(data):
    """Exchange a refresh token for a new pair in the same session

    The refresh token given is revoked; access tokens issued before stay valid until they
    expire. A refresh token sent again is a 401, and ends its whole session when it comes
    more than a few seconds after its rotation (a stolen copy).
    """
    return tokens.rotate(data["refresh"])


@blp.route("/logout/", methods=["POST"])
@blp.arguments(RefreshSchema)
@blp.response(200, MessageSchema)
@bad_token
def logout(data):
    """End the session of a refresh token: every access and refresh token of it"""
    tokens.logout(data["refresh"])
    return {"message": "Successfully logged out"}
