/**
 * Enter in a text field submits the dialog's form. A dialog's OK button sits outside its form, and
 * a form with two text fields and no submit button has no implicit submission, so Enter did
 * nothing there; this is the form's (invisible) default button.
 */
export function EnterSubmits() {
  return <button type="submit" hidden tabIndex={-1} aria-hidden="true" />;
}
