/** `@trust-broker/service-kit/errors`: errors that reach HTTP, domain errors, and the one filter that answers them. */
export {
  ApiError,
  DomainError,
  HttpErrorFilter,
  invalidRequest,
  notFound,
  conflict,
  unauthorized,
  forbidden,
  sendApiError,
  toApiError,
  fromFastifyError,
  type DomainErrorKind,
} from '../errors';
